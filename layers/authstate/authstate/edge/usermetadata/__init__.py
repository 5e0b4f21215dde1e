"""The user-metadata recipe's HTTP shapes: its request and response models, the errors its routes
document."""
