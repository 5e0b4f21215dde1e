"""SuperTokens' Core Driver Interface (CDI 5.4) over authstate: the requests the unmodified SuperTokens
backend SDKs send to their core, declared route by route with pydantic models (``routes/``, one router
per recipe), answered by the session, metadata and JWT services in the core's shapes (``shapes``), every
error through one table (``answers``). No session or merge logic lives here."""
