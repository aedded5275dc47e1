"""The core: fetch → parse → classify → stories → decide → route, and the poller that runs them."""
