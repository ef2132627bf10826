"""What is in the image, and that it is the image the manifests deploy."""

import json

import pytest

from socialcare.classify.settings import ClassifySettings
from tests.image.podman import Built, rendered_images, run_in_image

pytestmark = pytest.mark.integration

# Python's view from inside: importable modules that must not be there.
ABSENT_MODULES = ("torch", "socialcare_dev", "tests", "onnxscript")
FIND_SOURCES = (
    "find / -xdev \\( -name socialcare_dev -o -path '*/corpus/*.jsonl' -o -path /src \\) -print;"
    " find / -xdev -type d -name tests -exec grep -rlE 'from tests\\.|import socialcare' {} +"
    " || true"
)


def test_the_image_runs_the_product_and_has_nothing_of_development(image: Built):
    probe = (
        "import importlib.util, json, socialcare;"
        f"print(json.dumps([m for m in {ABSENT_MODULES!r} if importlib.util.find_spec(m)]))"
    )
    assert json.loads(run_in_image(image.name, "python", "-c", probe)) == []
    assert run_in_image(image.name, "sh", "-c", FIND_SOURCES).split() == []
    packages = run_in_image(image.name, "pip", "list", "--format=freeze").lower()
    assert "torch" not in packages and "nvidia-" not in packages
    # Operators can look around in a running container.
    assert run_in_image(image.name, "id", "-u").strip() == "10001"


def test_the_baked_in_model_is_the_one_trained_here(image: Built):
    baked = run_in_image(image.name, "sh", "-c", 'cat "$SOCIALCARE_MODEL_DIR/VERSION"')
    version = (ClassifySettings().model_dir / "VERSION").read_text().strip()
    assert baked.strip() == version
    assert image.tag.endswith(f"-{version}")


def test_the_manifests_deploy_this_image(image: Built):
    assert rendered_images() == {
        f"socialcare:{image.tag}",
        f"registry.example.com/socialcare:{image.tag}",
    }
