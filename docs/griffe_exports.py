"""A Griffe extension for the API reference: what a package's ``__init__`` imports from the
package's own modules is that package's public API (tinygrad_rnn has no ``__all__`` lists),
so ``::: tinygrad_rnn.nn`` documents ``nn.LSTM`` where users find it, not in ``nn.rnn``."""

import griffe


class PackageExports(griffe.Extension):
    def on_package(self, *, pkg, **kwargs):
        self._mark(pkg, pkg.path + ".")

    def _mark(self, module, inside):
        for name, member in module.members.items():
            if member.is_alias:
                if module.is_init_module and not name.startswith("_") and member.target_path.startswith(inside):
                    member.public = True
            elif member.is_module:
                self._mark(member, inside)
