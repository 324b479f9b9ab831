"""One router per REST resource; every handler is a thin translation to one or a few RPCs."""
