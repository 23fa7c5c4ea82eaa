"""An editor panel that shows the quality-gate findings for the draft being edited."""
from wagtail.admin.panels import Panel


class QualityFindingsPanel(Panel):
    class BoundPanel(Panel.BoundPanel):
        template_name = "interpretations/panels/quality_findings.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page = self.instance
            context["saved"] = bool(page.pk)
            context["findings"] = page.gate_findings() if page.pk else []
            return context
