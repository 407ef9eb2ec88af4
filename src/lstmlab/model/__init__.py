"""A trained model: asking it, saving and loading it, Keras files in and out."""
