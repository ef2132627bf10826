"""The manifests deploy the image this tree builds: scripts/image.sh tags it
<project version>-<model version>, and the model version is a hash of the data and
the training configuration (the served student's includes its teacher's), so new
training data means a new tag here too."""

import tomllib

import yaml

from socialcare.classify.served import served_version
from socialcare.classify.settings import ClassifySettings
from tests.support.kustomize import K8S
from tests.support.paths import REPO


def test_the_base_tags_the_image_with_the_project_and_model_versions():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    settings = ClassifySettings()
    model = served_version(settings)
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert kustomization["images"] == [{"name": "socialcare", "newTag": f"{project}-{model}"}], (
        "set the base's image tag to `scripts/image.sh tag`"
    )
