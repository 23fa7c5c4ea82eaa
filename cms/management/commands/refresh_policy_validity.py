"""Recompute every policy's validity (run daily: 失效日期 passes without any publish event)."""
from django.core.management.base import BaseCommand

from cms.models import PolicyDocumentPage


class Command(BaseCommand):
    help = "按立改废关系和失效日期重新计算所有政策文件的效力状态（建议每天运行一次）"

    def handle(self, *args, **options):
        changed = sum(1 for policy in PolicyDocumentPage.objects.all().iterator() if policy.refresh_validity())
        self.stdout.write(f"已检查 {PolicyDocumentPage.objects.count()} 件政策文件，更新 {changed} 件的效力状态。")
