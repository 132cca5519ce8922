"""Webhooks on derived status changes: subscriptions, the outbox, the deliverer."""
