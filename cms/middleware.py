"""Content-Security-Policy on every response: strict on the public site, what Wagtail needs in the admin.

Public pages load only this site's own CSS, JavaScript and images (no CDN, no inline script or
style), so injected markup cannot run. Wagtail's admin uses inline scripts and styles, so its
paths get 'unsafe-inline' for those two only. (Django 5.2 has no built-in CSP; 6.0 adds one.)
"""
from django.conf import settings

_COMMON = ("default-src 'self'; img-src 'self' data:; media-src 'self'; font-src 'self'; connect-src 'self'; "
           "object-src 'none'; base-uri 'self'; form-action 'self'")
PUBLIC_POLICY = f"{_COMMON}; script-src 'self'; style-src 'self'; frame-ancestors 'none'"
ADMIN_POLICY = (f"{_COMMON}; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: blob:; frame-ancestors 'self'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefixes = tuple(getattr(settings, "CSP_RELAXED_PREFIXES", ("/admin/", "/django-admin/")))

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path.startswith(self.admin_prefixes)
            response["Content-Security-Policy"] = ADMIN_POLICY if relaxed else PUBLIC_POLICY
        return response
