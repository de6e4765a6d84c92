"""Real servers the tests start: each module starts one kind and yields how to reach it."""
