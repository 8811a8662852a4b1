/// The control plane's library: fleet files, SSH, the admin API client, commands' logic.
public enum MaiFleet {}
