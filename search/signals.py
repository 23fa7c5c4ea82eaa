"""Turn site changes into index outbox rows: only live content reaches the hotline (never a plain save)."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move, published, unpublished

from cms.models import Department, PolicyDocumentPage
from cms.models.policies import policy_validity_changed
from interpretations.models import InterpretationPage

from . import outbox
from .analysis import vocabulary_changed
from .models import QAEntry, SynonymGroup, VocabularyTerm

PAGE_SOURCES = {PolicyDocumentPage: "policy", InterpretationPage: "interp"}


def page_source(page):
    prefix = PAGE_SOURCES.get(type(page))
    return f"{prefix}:{page.pk}" if prefix else None


@receiver(page_published)
@receiver(page_unpublished)
def page_publication_changed(sender, instance, **kwargs):
    outbox.enqueue(page_source(instance))


@receiver(policy_validity_changed)
def validity_changed(sender, instance, **kwargs):
    outbox.enqueue(f"policy:{instance.pk}")


@receiver(post_delete, sender=PolicyDocumentPage)
@receiver(post_delete, sender=InterpretationPage)
def page_deleted(sender, instance, **kwargs):
    outbox.enqueue(page_source(instance))


@receiver(post_page_move)
def page_moved(sender, instance, **kwargs):
    # URLs change for the page and everything under it.
    specific = instance.specific
    sources = [page_source(specific)]
    if isinstance(specific, PolicyDocumentPage):
        sources += [f"interp:{pk}" for pk in InterpretationPage.objects.child_of(specific).values_list("pk", flat=True)]
    outbox.enqueue(*sources)


@receiver(published, sender=QAEntry)
@receiver(unpublished, sender=QAEntry)
@receiver(post_delete, sender=QAEntry)
def qa_entry_changed(sender, instance, **kwargs):
    outbox.enqueue(instance.source_key)


@receiver(post_save, sender=Department)
def department_changed(sender, instance, created, **kwargs):
    # Name and phone are copied into every answer of the department.
    vocabulary_changed()
    if not created:
        outbox.enqueue(f"department:{instance.pk}")


@receiver(post_save, sender=SynonymGroup)
@receiver(post_delete, sender=SynonymGroup)
@receiver(post_save, sender=VocabularyTerm)
@receiver(post_delete, sender=VocabularyTerm)
def vocabulary_edited(sender, **kwargs):
    vocabulary_changed()


@receiver(post_save, sender=SynonymGroup)
@receiver(post_delete, sender=SynonymGroup)
def synonyms_edited(sender, **kwargs):
    # Elasticsearch keeps the groups in a synonyms set; pushed after commit (no reindexing needed).
    from .backends.elasticsearch import synonyms_changed

    synonyms_changed()
