"""The relay: every event of the log published once, in order, to a NATS JetStream stream."""
