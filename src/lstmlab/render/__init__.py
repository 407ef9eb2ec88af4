"""Documents shown: terminal text, figures, report pages, notebook HTML."""
