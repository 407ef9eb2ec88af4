"""One document per command: what a run, a reproduction or a comparison found."""
