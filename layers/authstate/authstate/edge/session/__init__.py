"""The session recipe's HTTP shapes: its request and response models, how a session is shown, the
errors its routes document."""
