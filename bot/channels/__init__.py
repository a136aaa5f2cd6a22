"""One module (or small package) per messenger. Each turns platform updates into ``Incoming`` events."""
