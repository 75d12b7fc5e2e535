"""Python client for strategies: submit commands to the brain, wait for results, stream events."""
