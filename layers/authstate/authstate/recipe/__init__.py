"""The recipes, as SuperTokens names them: ``session`` and ``usermetadata``. Each is a package of the same
shape (``model``, ``rules``: plain values and rules, no I/O; ``store``: its DynamoDB calls; ``service``:
what the API and the CDI call; ``providers``: the service built once per warm Lambda, for Powertools'
``Depends``); the session recipe has more beside them (tokens, keys, a SuperTokens core's sessions)."""
