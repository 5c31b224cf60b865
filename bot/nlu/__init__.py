"""Greek text handling for the bot's NLU pipeline: normalisation and tokenisation."""
