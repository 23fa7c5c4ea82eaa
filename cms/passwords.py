"""Password rules in Chinese where Django's own catalogue falls short.

Django 5.2 changed MinimumLengthValidator's message (msgid "…at least %d character…") and its
zh_Hans catalogue still has the old one, so the one refusal people meet most read in English.
"""
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError


class ChineseMinimumLengthValidator(MinimumLengthValidator):
    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short",
                                  params={"min_length": self.min_length})

    def get_error_message(self):
        return f"密码长度太短。密码必须包含至少 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"你的密码必须包含至少 {self.min_length} 个字符。"
