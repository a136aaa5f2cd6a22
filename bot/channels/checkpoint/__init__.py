"""The checkpoint scanner in the browser (``/kiemtra``): live camera scanning, verification on the device, offline
once visited. ``server`` adds its routes to the web server; ``static/`` is the page (``verify.js`` the verifier)."""
