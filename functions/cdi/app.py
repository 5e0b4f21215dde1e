"""SuperTokens' Core Driver Interface 5.4 under /cdi: the unmodified SuperTokens backend SDKs use
authstate as their core (``connection_uri = https://<api>/cdi``) for the session, user-metadata and JWT
recipes. The routes, one router per recipe, are in ``authstate.cdi.routes``."""

from authstate.cdi.app import cdi_app
from authstate.edge.app import lambda_entry

app = cdi_app()
lambda_handler = lambda_entry(app)
