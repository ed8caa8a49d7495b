"""Every test double of the suite, in one place: offline stand-ins that plug into the real seams
(the searcher protocol, the chunk store, the chat core, chat models)."""
