import Foundation
import MaiCore
import Testing

@Suite("Brand validation")
struct BrandValidationTests {
    static let goodSVG = ##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" width="10" height="10"/><use xlink:href="#g"/></svg>"##

    /// A real PNG of `width`×`height` (header only matters for the checks).
    static func png(width: Int, height: Int) -> Data {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        data += Data("IHDR".utf8)
        for value in [width, height] { data += Data([UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]) }
        data += Data([8, 6, 0, 0, 0, 0, 0, 0, 0])
        return data
    }

    static func logo(_ svg: String) -> BrandingUpdate {
        BrandingUpdate(logo: BrandImage(contentType: "image/svg+xml", data: Data(svg.utf8)))
    }

    @Test("a clean SVG with local references and the SVG namespace passes")
    func cleanSVG() {
        let (normalized, problems) = BrandValidation.validate(Self.logo(Self.goodSVG))
        #expect(problems.isEmpty, "\(problems)")
        #expect(normalized.logo?.contentType == "image/svg+xml")
    }

    @Test("every malicious SVG is refused with its reason", arguments: [
        (#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#, "<script>"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><SCRIPT >alert(1)</SCRIPT></svg>"#, "<script>"),
        (#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>"#, "event handler attribute (onload=)"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1" onMouseOver ="x()"/></svg>"#, "event handler attribute (onmouseover=)"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>"#, "javascript: URL"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><a href="&#106;avascript:alert(1)"><rect/></a></svg>"#, "javascript: URL"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><a xlink:href="java&#x09;script:alert(1)"><rect/></a></svg>"#, "javascript: URL"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>"#, "external resource"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><image xlink:href = 'http://evil.example/x.png'/></svg>"#, "external resource"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><use href="//evil.example/sprite.svg#a"/></svg>"#, "external resource"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url( https://evil.example/p.svg#p)"/></svg>"#, "external resource"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><style>@import "https://evil.example/a.css";</style></svg>"#, "external resource"),
        (#"<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div>hi</div></foreignObject></svg>"#, "<foreignObject>"),
        (#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#, "entities"),
    ])
    func maliciousSVG(svg: String, reason: String) {
        let (normalized, problems) = BrandValidation.validate(Self.logo(svg))
        #expect(normalized.logo == nil)
        #expect(problems.count == 1)
        #expect(problems.first?.field == "logo")
        #expect(problems.first?.message.contains("SVG refused") == true)
        #expect(problems.first?.message.contains(reason) == true, "\(problems)")
    }

    /// The blocklist could be talked around; what is stored is the SVG written anew from an
    /// allowlist, so none of these survive, whatever the checks before said.
    @Test("an SVG is stored rewritten from the allowlist: no bypass survives", arguments: [
        ##"<svg xmlns="http://www.w3.org/2000/svg"><rect title=">" onload="alert(1)" width="1" height="1"/></svg>"##,
        ##"<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:u\72l(https://evil.example/p)" width="1" height="1"/></svg>"##,
        ##"<svg xmlns="http://www.w3.org/2000/svg"><iframe src="https://evil.example"/><rect width="1" height="1"/></svg>"##,
        ##"<svg xmlns="http://www.w3.org/2000/svg"><meta http-equiv="refresh" content="0;url=https://evil.example"/><rect width="1" height="1"/></svg>"##,
        ##"<svg xmlns="http://www.w3.org/2000/svg"><use href="data:image/svg+xml;base64,PHN2Zy8+"/><rect width="1" height="1"/></svg>"##,
        ##"<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><rect width="1" height="1"/></a><animate attributeName="href" to="javascript:alert(1)"/></svg>"##,
        ##"<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: u\72l(https://evil.example) }</style><rect width="1" height="1"/></svg>"##,
    ])
    func allowlistRewrite(svg: String) throws {
        let (normalized, problems) = BrandValidation.validate(Self.logo(svg))
        guard problems.isEmpty else { return }  // refused outright: nothing stored
        let stored = String(decoding: try #require(normalized.logo?.data), as: UTF8.self)
        for bad in ["iframe", "meta", "onload", "data:", "javascript", "\\", "evil.example", "animate", "<a"] {
            #expect(!stored.lowercased().contains(bad), "\(bad) survived: \(stored)")
        }
        #expect(stored.contains("<rect"), "the drawing stays: \(stored)")
    }

    @Test("a clean SVG keeps its drawing, written anew")
    func cleanRewrite() throws {
        let (normalized, problems) = BrandValidation.validate(Self.logo(Self.goodSVG))
        #expect(problems.isEmpty, "\(problems)")
        let stored = String(decoding: try #require(normalized.logo?.data), as: UTF8.self)
        #expect(stored == ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><linearGradient id="g"></linearGradient></defs><rect fill="url(#g)" height="10" width="10"></rect><use xlink:href="#g"></use></svg>"##,
                "\(stored)")
    }

    @Test("types come from the bytes: a PNG named .svg is a PNG, HTML claiming to be an image is refused")
    func sniffing() {
        #expect(BrandValidation.sniff(Self.png(width: 64, height: 64)) == .png)
        #expect(BrandValidation.sniff(Data(Self.goodSVG.utf8)) == .svg)
        #expect(BrandValidation.sniff(Data("<html><body>hi</body></html>".utf8)) == nil)
        #expect(BrandValidation.sniff(Data("<svgfoo/>".utf8)) == nil)
        #expect(BrandValidation.sniff(Data([0, 0, 1, 0, 1, 0, 16, 16])) == .ico)
        let fake = BrandingUpdate(logo: BrandImage(contentType: "image/png", data: Data("GIF89a not really".utf8)))
        let (_, problems) = BrandValidation.validate(fake)
        #expect(problems.map(\.field) == ["logo"])
        #expect(problems.first?.message.contains("by its content") == true)
        let declaredWrong = BrandingUpdate(logo: BrandImage(contentType: "image/svg+xml", data: Self.png(width: 64, height: 64)))
        #expect(BrandValidation.validate(declaredWrong).normalized.logo?.contentType == "image/png")
        let icoLogo = BrandingUpdate(logo: BrandImage(contentType: "image/x-icon", data: Data([0, 0, 1, 0, 1, 0, 16, 16, 0, 0])))
        #expect(BrandValidation.validate(icoLogo).problems.first?.message.contains("not allowed here") == true)
    }

    @Test("sizes: bytes and PNG dimensions have limits")
    func sizes() {
        let big = BrandingUpdate(favicon: BrandImage(contentType: "image/png", data: Self.png(width: 32, height: 32) + Data(count: 200 * 1024)))
        #expect(BrandValidation.validate(big).problems.first?.message.contains("the limit is 128 KiB") == true)
        let huge = BrandingUpdate(logo: BrandImage(contentType: "image/png", data: Self.png(width: 5000, height: 100)))
        #expect(BrandValidation.validate(huge).problems.first?.message.contains("5000×100 pixels") == true)
        let tiny = BrandingUpdate(logo: BrandImage(contentType: "image/png", data: Self.png(width: 8, height: 8)))
        #expect(BrandValidation.validate(tiny).problems.first?.message.contains("8×8") == true)
        #expect(BrandValidation.validate(BrandingUpdate(logo: BrandImage(contentType: "image/png", data: Self.png(width: 256, height: 64)))).problems.isEmpty)
    }

    @Test("contrast of text on the primary colour: the numbers are in the message")
    func contrast() {
        let ratio = BrandValidation.contrastRatio("#ffffff", "#000000")!
        #expect(abs(ratio - 21) < 0.001)
        #expect(abs(BrandValidation.contrastRatio("#777777", "#ffffff")! - 4.48) < 0.01)
        let bad = BrandingUpdate(light: ["primary": "#777777", "on-primary": "#ffffff"])
        let problems = BrandValidation.validate(bad).problems
        #expect(problems.count == 1)
        #expect(problems.first?.field == "colors.light")
        #expect(problems.first?.message.contains("text #ffffff on primary #777777 has a contrast of 4.48:1, below the 4.5:1") == true, "\(problems)")
        // Only primary set: checked against the built-in text colour of that scheme.
        let darkOnly = BrandingUpdate(dark: ["primary": "#202020"])
        #expect(BrandValidation.validate(darkOnly).problems.first?.message.contains("#0f1220 on primary #202020") == true)
        let good = BrandingUpdate(light: ["primary": "#B3261E", "on-primary": "#fff"], dark: ["primary": "#f2b8b5", "on-primary": "#601410"])
        let (normalized, none) = BrandValidation.validate(good)
        #expect(none.isEmpty)
        #expect(normalized.light == ["primary": "#b3261e", "on-primary": "#ffffff"])
    }

    @Test("colours must be #rrggbb of a known variable; names are plain text")
    func colorsAndName() {
        let update = BrandingUpdate(name: "  <b>Acme</b> ", light: ["primary": "red; background: url(x)", "shadow": "#000000"])
        let problems = BrandValidation.validate(update).problems.map(\.description)
        #expect(problems.contains { $0.hasPrefix("name: contains control characters or < >") })
        #expect(problems.contains { $0.hasPrefix("colors.light.primary: \"red; background: url(x)\" is not a colour") })
        #expect(problems.contains { $0.hasPrefix("colors.light.shadow: is not a colour the UI uses") })
        #expect(BrandValidation.validate(BrandingUpdate(name: String(repeating: "x", count: 61))).problems.first?.message.contains("61 characters") == true)
        #expect(BrandValidation.validate(BrandingUpdate(name: " Acme Assistant ")).normalized.name == "Acme Assistant")
    }
}
