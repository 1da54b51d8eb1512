"""pip install . : packages python/shoal with the extension shoal._core from the project's CMake build.

The extension is built by CMake in $SHOAL_BUILD_DIR (default: build/ in the source tree, the
directory ./run build uses), so an up-to-date build is reused and only what changed is compiled.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version() -> str:
    return re.search(r"project\(shoal VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text()).group(1)


class CMakeBuild(build_ext):
    """Builds the CMake target shoal_python and copies the module where the wheel expects it."""

    def build_extension(self, ext: Extension) -> None:
        build = Path(os.environ.get("SHOAL_BUILD_DIR", ROOT / "build")).resolve()
        if not (build / "CMakeCache.txt").exists():
            configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                         f"-DPython_EXECUTABLE={sys.executable}"]
            if shutil.which("ccache"):
                configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
            subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "shoal_python"])
        built = sorted((build / "python" / "shoal").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"the CMake build in {build} made no shoal/_core module")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[0], target)


setup(
    version=project_version(),
    package_dir={"": "python"},
    packages=find_packages(where="python", exclude=["tests"]),
    package_data={"shoal": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("shoal._core", sources=[])],
    # shoal.spark: the versions python/spark-requirements.txt pins are the ones tested
    extras_require={"spark": ["pyspark>=4.0,<5", "pandas>=2.0", "pyarrow>=11"]},
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": str(Path(os.environ.get("SHOAL_BUILD_DIR", ROOT / "build")) / "setuptools")},
             "egg_info": {"egg_base": str(Path(os.environ.get("SHOAL_BUILD_DIR", ROOT / "build")))}},
    zip_safe=False,
)
