from tongxin.core import context


def client_ip(request) -> str | None:
    # Behind a trusted reverse proxy set REMOTE_ADDR correctly (e.g. uWSGI/nginx real_ip);
    # X-Forwarded-For is not trusted here because a client can forge it.
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Gives every request an id and records its client address for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.begin(ip=client_ip(request))
        request.request_id = context.current().request_id
        try:
            response = self.get_response(request)
        finally:
            context.end(token)
        response["X-Request-ID"] = request.request_id
        return response
