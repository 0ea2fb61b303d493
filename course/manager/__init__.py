"""The manager dashboard (Voila): access check, charts, and the page itself."""
