import ArgumentParser
import MaiFleet

extension InstanceSelection {
    /// A selection built in code (commands that take clients as arguments), every field set:
    /// ArgumentParser's wrappers must not be read before they are parsed or assigned.
    static func make(fleet: FleetOptions, only: String?, parallel: Int = 8) -> InstanceSelection {
        var selection = InstanceSelection()
        selection.fleet = fleet
        selection.only = only
        selection.parallel = parallel
        return selection
    }
}
