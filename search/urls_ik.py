"""The IK remote dictionary; the project's URLconf includes it at /api/search/ (→ /api/search/ik-dictionary.txt)."""
from django.urls import path

from . import views_ik

urlpatterns = [path("ik-dictionary.txt", views_ik.ik_dictionary, name="search-ik-dictionary")]
