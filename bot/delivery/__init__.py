"""Delivery: outbox message encoding, send leases, and the deliverer that drains the outbox."""
