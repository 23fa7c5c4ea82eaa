"""Admin integration of the interpretations app: the 解读清单 report under 报告 (Reports)."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .ledger import can_view_ledger
from .views import InterpretationLedgerView


class InterpretationLedgerMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_ledger(request.user)


@hooks.register("register_admin_urls")
def register_ledger_urls():
    return [
        path("reports/interpretation-ledger/", InterpretationLedgerView.as_view(), name="interpretation_ledger"),
        path("reports/interpretation-ledger/results/", InterpretationLedgerView.as_view(results_only=True),
             name="interpretation_ledger_results"),
    ]


@hooks.register("register_reports_menu_item")
def register_ledger_menu_item():
    return InterpretationLedgerMenuItem(
        "解读清单", reverse("interpretation_ledger"), name="interpretation-ledger",
        icon_name="clipboard-list", order=650,
    )
