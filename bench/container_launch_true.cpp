// /bin/true of the root file system container-launch-bench gives ours,
// crun and runc: linked statically, so the tree holds nothing else.
int main() { return 0; }
