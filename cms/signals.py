"""Keep derived state true: validity after 立改废, department set-up, interpretation links."""
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms.models import Department, PolicyDocumentPage


def refresh_chain(policy):
    """Recompute the validity of the documents this one amends or repeals (and its own)."""
    targets = set(policy.amends.values_list("pk", flat=True)) | set(policy.repeals.values_list("pk", flat=True))
    # Documents it used to point at but no longer does must be recomputed too.
    targets |= set(PolicyDocumentPage.objects.filter(validity__in=["amended", "repealed"])
                   .exclude(pk__in=targets).values_list("pk", flat=True))
    for target in PolicyDocumentPage.objects.filter(pk__in=targets | {policy.pk}):
        target.refresh_validity()


@receiver(page_published, sender=PolicyDocumentPage)
@receiver(page_unpublished, sender=PolicyDocumentPage)
def policy_publication_changed(sender, instance, **kwargs):
    refresh_chain(instance)


@receiver(post_save, sender=Department)
def department_saved(sender, instance, created, **kwargs):
    from cms.roles import ensure_department_setup

    if instance.editors_group_id is None or instance.collection_id is None:
        ensure_department_setup(instance)


@receiver(post_page_move)
def page_moved(sender, instance, **kwargs):
    specific = instance.specific
    if hasattr(specific, "sync_from_parent"):
        specific.sync_from_parent()
        type(specific).objects.filter(pk=specific.pk).update(
            policy_document=specific.policy_document_id, department=specific.department_id)
