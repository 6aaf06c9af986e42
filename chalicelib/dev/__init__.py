"""Local stage only: the stand-in's mail catcher and scheduler. Never loaded in the cloud."""
