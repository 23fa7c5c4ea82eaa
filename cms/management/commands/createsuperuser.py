"""`createsuperuser` that holds DJANGO_SUPERUSER_PASSWORD to the password policy, too.

Django's command validates a password typed at the prompt but takes the environment variable of
`--noinput` as it is, so a deployment script could create a superuser with a weak password.
"""
import os

from django.contrib.auth import password_validation
from django.contrib.auth.management.commands import createsuperuser
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options.get("interactive") and password:
            try:
                password_validation.validate_password(password)
            except ValidationError as error:
                raise CommandError("DJANGO_SUPERUSER_PASSWORD 不符合密码要求：" + " ".join(error.messages)) from error
        return super().handle(*args, **options)
