"""The computation: data, cells, networks, compiled training and evaluation (JAX)."""
