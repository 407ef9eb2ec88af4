"""What is asked for: the tutorial's experiments, the paper's tasks, checked settings, seeds."""
