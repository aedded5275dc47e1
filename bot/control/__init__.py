"""Channel control: when and what each destination hears (quiet hours, digests, watchlists,
a noise floor, mute). Pure rules; bot.delivery.holding applies them to the outbox."""
