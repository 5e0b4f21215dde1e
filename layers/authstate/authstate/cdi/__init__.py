"""SuperTokens' Core Driver Interface (CDI 5.4) over authstate: the shapes the unmodified SuperTokens
backend SDKs send and read, translated to and from the session and metadata services. No session or
merge logic lives here; only the protocol's shapes, status strings and error style."""
