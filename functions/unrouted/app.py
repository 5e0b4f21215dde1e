"""The $default route: every request no other route takes. 405 with Allow for a known path, else 404,
as ``{"code", "message"}`` JSON (without it API Gateway answers ``{"message":"Not Found"}``)."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from authstate.edge.app import AuthstateResolver, error_response, lambda_entry
from authstate.edge.unrouted import api_routes, unrouted

#: No API key: the answer tells only what the public OpenAPI document tells.
app = AuthstateResolver(require_key=False)


def no_route(_: NotFoundError) -> Response[str]:
    event = app.current_event
    error, headers = unrouted(event.http_method, event.path, api_routes())
    response = error_response(error)
    response.headers.update(headers)
    return response


app.exception_handler(NotFoundError)(no_route)


lambda_handler = lambda_entry(app)
