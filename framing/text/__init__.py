"""Articles to sentences and mentions: cleaning, language, sentences, targets, voice."""
