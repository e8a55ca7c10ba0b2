# shellcheck shell=bash
# Sourced by the payload scripts: sets `frameworks` to the arguments, or to every folder
# under frameworks/ that does not start with "_".
frameworks=("$@")
if [ ${#frameworks[@]} -eq 0 ]; then
  for dir in frameworks/*/; do
    name=$(basename "$dir")
    [[ $name == _* ]] || frameworks+=("$name")
  done
fi
