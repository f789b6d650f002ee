"""Account mail: the message, the Mailer interface and its backends, bounded background sends."""
