from django.urls import path

from . import views

urlpatterns = [
    # Before Wagtail's catch-all: a child page of 意见征集 cannot use the slug "tijiao".
    path("zhengqiu/tijiao/<int:page_id>/", views.submit_view, name="consultation_submit"),
]
