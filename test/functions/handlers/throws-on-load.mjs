// A module whose initialisation fails.
throw new Error("missing configuration");
