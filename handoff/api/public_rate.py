"""Requests per client address on the public slot and booking API: enough for any citizen's
page, not for a script that reads every free slot or tries reference after reference. The
bot (the service token) asks for every citizen and is not counted; the chat relay and
log-in have limits of their own."""
from __future__ import annotations

from aiohttp import web

from ..ratelimit import Limit
from .auth import is_service
from .keys import REDIS, SETTINGS
from .requests import client_address

PUBLIC_PATHS = ("/api/slots", "/api/bookings", "/api/appointment")


@web.middleware
async def public_request_rate(request: web.Request, handler):
    settings = request.app[SETTINGS]
    if request.path.startswith(PUBLIC_PATHS) and not is_service(request, settings.service_token):
        limit = Limit("public-api", settings.public_requests_per_minute, 60, "too_many_requests",
                      "Πάρα πολλά αιτήματα από αυτή τη σύνδεση. Δοκιμάστε ξανά σε ένα λεπτό.")
        await limit.enforce(request.app[REDIS], client_address(request))
    return await handler(request)
