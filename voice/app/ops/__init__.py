"""Running Parley as a service: metrics, logs, health and a graceful drain."""
