"""Models of the shared site: departments, the page tree, policy documents, publication gate."""
from .departments import Department  # noqa: F401
from .gate import PublicationOverride, ReviewTask  # noqa: F401
from .pages import HomePage, TopicIndexPage, TopicPage  # noqa: F401
from .policies import (  # noqa: F401
    DepartmentPolicyIndexPage,
    PolicyAttachment,
    PolicyDocumentPage,
    PolicyIndexPage,
    PolicyTopic,
    Validity,
)
