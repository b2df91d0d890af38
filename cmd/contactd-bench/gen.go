package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactd/contactd"
)

// The generator makes contact number i of a data set from (seed, i) alone,
// so any contact can be made again, in any order and on any goroutine, and
// the same seed always gives the same data set.
//
// Phone numbers are unique across the data set without any bookkeeping:
// phone k of contact i has the unique index u = 3i+k, and each country maps
// its indexes one-to-one onto its number space (an affine bijection modulo
// the size of that space). Indexes past 3N are for numbers the data set
// does not have: unknown callers and the contacts the create scenario adds.

// culture is a family of names written in one script, with a romanized
// form of each name for email addresses and the countries its people's
// phones most likely belong to.
type culture struct {
	name      string
	weight    int
	given     []name
	family    []name
	countries []string // preferred phone countries, first most likely
	// familyFirst writes the display name family name first, without a
	// space (Chinese, Japanese).
	familyFirst bool
	companies   []string
	domains     []string
}

// name is a name as written and a romanized, ASCII-only form of it.
type name struct{ text, latin string }

func n(text, latin string) name { return name{text, latin} }

var cultures = []*culture{
	{name: "en", weight: 20, countries: []string{"US", "GB"},
		given: []name{n("James", "james"), n("Mary", "mary"), n("Olivia", "olivia"), n("Liam", "liam"), n("Zoë", "zoe"),
			n("Jordan", "jordan"), n("Grace", "grace"), n("Ethan", "ethan"), n("Chloé", "chloe"), n("Noah", "noah"),
			n("Emma", "emma"), n("William", "william"), n("Ava", "ava"), n("Benjamin", "benjamin"), n("Sophia", "sophia"),
			n("Lucas", "lucas"), n("Amelia", "amelia"), n("Henry", "henry"), n("Isabella", "isabella"), n("Jack", "jack")},
		family: []name{n("Smith", "smith"), n("Johnson", "johnson"), n("O'Brien", "obrien"), n("Kline", "kline"),
			n("Williams", "williams"), n("Brown", "brown"), n("Taylor", "taylor"), n("Davies", "davies"), n("Wilson", "wilson"),
			n("Evans", "evans"), n("Thomas", "thomas"), n("Roberts", "roberts"), n("Walker", "walker"), n("Wright", "wright"),
			n("Hughes", "hughes"), n("Clarke", "clarke"), n("Lovelace", "lovelace"), n("Hopper", "hopper"), n("Baker", "baker"), n("Carter", "carter")},
		companies: []string{"Acme Corp", "Globex Inc.", "Initech LLC", "Northwind Traders", "Blue Harbor Logistics",
			"Summit Health Partners", "Redwood Analytics", "Brightline Media", "Cedar & Pine Ltd", "Harbor Freight Co."},
		domains: []string{"gmail.com", "outlook.com", "yahoo.com", "example.com", "mail.example.org"}},
	{name: "de", weight: 10, countries: []string{"DE", "GB", "US"},
		given: []name{n("Jürgen", "juergen"), n("Käthe", "kaethe"), n("Björn", "bjoern"), n("Lukas", "lukas"), n("Anna", "anna"),
			n("Müge", "muege"), n("Sören", "soeren"), n("Felix", "felix"), n("Lena", "lena"), n("Maximilian", "maximilian"),
			n("Jörg", "joerg"), n("Hannah", "hannah"), n("Uwe", "uwe"), n("Greta", "greta"), n("Matthias", "matthias")},
		family: []name{n("Müller", "mueller"), n("Schröder", "schroeder"), n("Weiß", "weiss"), n("Groß", "gross"), n("Schmidt", "schmidt"),
			n("Fischer", "fischer"), n("Köhler", "koehler"), n("Wagner", "wagner"), n("Becker", "becker"), n("Hoffmann", "hoffmann"),
			n("Krüger", "krueger"), n("Schäfer", "schaefer"), n("Ångström", "angstrom"), n("Øberg", "oberg"), n("Jäger", "jaeger")},
		companies: []string{"Nordlicht GmbH", "Müller & Söhne KG", "Ångström Labs AB", "Brückenbau AG", "Fjällräv Consulting AB",
			"Schwarzwald Energie GmbH", "Kühne Logistik GmbH", "Øresund Shipping A/S"},
		domains: []string{"gmx.de", "web.de", "t-online.de", "example.de", "posteo.de"}},
	{name: "fr", weight: 8, countries: []string{"FR", "US"},
		given: []name{n("Élodie", "elodie"), n("François", "francois"), n("Hélène", "helene"), n("Bérénice", "berenice"), n("Gaël", "gael"),
			n("Aurélien", "aurelien"), n("Maëlle", "maelle"), n("Jérôme", "jerome"), n("Noémie", "noemie"), n("Théo", "theo"),
			n("Cécile", "cecile"), n("Loïc", "loic")},
		family: []name{n("Lefèvre", "lefevre"), n("Dupont", "dupont"), n("Moreau", "moreau"), n("Girard", "girard"), n("Bérard", "berard"),
			n("Fournier", "fournier"), n("Lemaître", "lemaitre"), n("Rousseau", "rousseau"), n("Faure", "faure"), n("Mercier", "mercier")},
		companies: []string{"Café Olé SARL", "Société Lumière SA", "Boulangerie Dupré", "Éditions du Néant", "Crédit Régional SA"},
		domains:   []string{"orange.fr", "free.fr", "laposte.net", "example.fr"}},
	{name: "es-pt", weight: 10, countries: []string{"BR", "ES", "US"},
		given: []name{n("José", "jose"), n("María", "maria"), n("João", "joao"), n("Iñigo", "inigo"), n("Ana", "ana"),
			n("Luís", "luis"), n("Sofía", "sofia"), n("Sebastián", "sebastian"), n("Conceição", "conceicao"), n("Ramón", "ramon"),
			n("Lucía", "lucia"), n("Tomás", "tomas")},
		family: []name{n("Núñez", "nunez"), n("Peña", "pena"), n("Gonçalves", "goncalves"), n("Araújo", "araujo"), n("García", "garcia"),
			n("Fernández", "fernandez"), n("Magalhães", "magalhaes"), n("López", "lopez"), n("Conceição", "conceicao"), n("Ibáñez", "ibanez")},
		companies: []string{"Companhia Brasileira de Café", "Telefonía Ibérica SL", "Construções Atlântico Ltda", "Viñedos del Sur SA", "Pão de Açúcar Digital"},
		domains:   []string{"uol.com.br", "terra.com.br", "telefonica.es", "example.com.br", "gmail.com"}},
	{name: "pl", weight: 5, countries: []string{"DE", "GB", "US"},
		given: []name{n("Łukasz", "lukasz"), n("Małgorzata", "malgorzata"), n("Żaneta", "zaneta"), n("Paweł", "pawel"), n("Agnieszka", "agnieszka"),
			n("Michał", "michal"), n("Zofia", "zofia"), n("Wojciech", "wojciech")},
		family: []name{n("Wójcik", "wojcik"), n("Wiśniewski", "wisniewski"), n("Kowalczyk", "kowalczyk"), n("Dąbrowska", "dabrowska"),
			n("Łuczak", "luczak"), n("Zieliński", "zielinski"), n("Szymański", "szymanski")},
		companies: []string{"Łódź Software Sp. z o.o.", "Gdańsk Porty SA", "Kraków Dane Sp. z o.o."},
		domains:   []string{"wp.pl", "onet.pl", "example.pl"}},
	{name: "el", weight: 4, countries: []string{"GB", "DE", "US"},
		given: []name{n("Γιώργος", "giorgos"), n("Μαρία", "maria"), n("Νίκος", "nikos"), n("Ελένη", "eleni"), n("Δημήτρης", "dimitris"),
			n("Κατερίνα", "katerina"), n("Σοφία", "sofia"), n("Αλέξανδρος", "alexandros")},
		family: []name{n("Παπαδόπουλος", "papadopoulos"), n("Κωνσταντίνου", "konstantinou"), n("Γεωργίου", "georgiou"),
			n("Νικολάου", "nikolaou"), n("Οικονόμου", "oikonomou"), n("Παπαδάκη", "papadaki")},
		companies: []string{"Αιγαίο Ναυτιλιακή Α.Ε.", "Ολυμπος Τεχνολογίες", "Papadopoulos Shipping S.A."},
		domains:   []string{"otenet.gr", "example.gr", "gmail.com"}},
	{name: "ru", weight: 6, countries: []string{"DE", "US", "GB"},
		given: []name{n("Дмитрий", "dmitriy"), n("Анна", "anna"), n("Сергей", "sergey"), n("Ольга", "olga"), n("Алексей", "aleksey"),
			n("Екатерина", "ekaterina"), n("Иван", "ivan"), n("Наталья", "natalya"), n("Юлия", "yuliya"), n("Михаил", "mikhail")},
		family: []name{n("Иванов", "ivanov"), n("Смирнова", "smirnova"), n("Кузнецов", "kuznetsov"), n("Попова", "popova"),
			n("Соколов", "sokolov"), n("Лебедева", "lebedeva"), n("Новиков", "novikov"), n("Морозова", "morozova")},
		companies: []string{"ООО Ромашка", "АО Северсталь-Сервис", "Volga Trading GmbH", "ООО Медиа-Плюс"},
		domains:   []string{"yandex.ru", "mail.ru", "example.com"}},
	{name: "zh", weight: 8, countries: []string{"US", "GB"}, familyFirst: true,
		given: []name{n("伟", "wei"), n("娜", "na"), n("芳", "fang"), n("静", "jing"), n("强", "qiang"), n("敏", "min"),
			n("磊", "lei"), n("洋", "yang"), n("艳", "yan"), n("俊杰", "junjie")},
		family: []name{n("陈", "chen"), n("李", "li"), n("王", "wang"), n("张", "zhang"), n("刘", "liu"), n("杨", "yang"),
			n("黄", "huang"), n("赵", "zhao")},
		companies: []string{"华为技术有限公司", "上海云图科技", "Dragon Gate Imports", "深圳星辰电子"},
		domains:   []string{"qq.com", "163.com", "example.cn", "gmail.com"}},
	{name: "ja", weight: 6, countries: []string{"JP", "US"}, familyFirst: true,
		given: []name{n("健", "ken"), n("花子", "hanako"), n("翔太", "shota"), n("さくら", "sakura"), n("大輔", "daisuke"),
			n("美咲", "misaki"), n("拓也", "takuya"), n("陽菜", "hina")},
		family: []name{n("佐藤", "sato"), n("鈴木", "suzuki"), n("高橋", "takahashi"), n("田中", "tanaka"), n("渡辺", "watanabe"),
			n("伊藤", "ito"), n("山本", "yamamoto"), n("中村", "nakamura")},
		companies: []string{"株式会社さくら", "東京データ株式会社", "Sakura Trading Co.", "大阪ロジスティクス"},
		domains:   []string{"docomo.ne.jp", "yahoo.co.jp", "example.jp"}},
	{name: "ar", weight: 6, countries: []string{"GB", "FR", "US", "DE"},
		given: []name{n("محمد", "mohammed"), n("فاطمة", "fatima"), n("أحمد", "ahmed"), n("علي", "ali"), n("ليلى", "layla"),
			n("يوسف", "youssef"), n("مريم", "maryam"), n("عمر", "omar")},
		family: []name{n("العلي", "alali"), n("الحسن", "alhassan"), n("منصور", "mansour"), n("حداد", "haddad"), n("خوري", "khoury"),
			n("عبدالله", "abdullah"), n("الفارس", "alfaris")},
		companies: []string{"شركة النور", "مجموعة الخليج", "Al Noor Trading LLC", "Cedars Consulting SAL"},
		domains:   []string{"hotmail.com", "example.ae", "gmail.com"}},
	{name: "in", weight: 10, countries: []string{"IN", "US", "GB"},
		given: []name{n("Priya", "priya"), n("Rahul", "rahul"), n("Ananya", "ananya"), n("Arjun", "arjun"), n("Deepika", "deepika"),
			n("Vikram", "vikram"), n("Sneha", "sneha"), n("Rohan", "rohan"), n("Kavya", "kavya"), n("Aditya", "aditya")},
		family: []name{n("Sharma", "sharma"), n("Patel", "patel"), n("Iyer", "iyer"), n("Reddy", "reddy"), n("Gupta", "gupta"),
			n("Nair", "nair"), n("Singh", "singh"), n("Mukherjee", "mukherjee"), n("Desai", "desai")},
		companies: []string{"Tata Logistics", "Infosys BPM", "Bharat Textiles Pvt Ltd", "Mumbai Fintech Pvt Ltd"},
		domains:   []string{"gmail.com", "rediffmail.com", "example.in"}},
}

var cultureTotal = func() int {
	t := 0
	for _, c := range cultures {
		t += c.weight
	}
	return t
}()

var (
	tagVocab   = []string{"vip", "customer", "lead", "partner", "supplier", "prospect", "newsletter", "enterprise", "support", "churned"}
	tagWeights = []int{8, 40, 20, 8, 5, 15, 25, 6, 10, 5} // percent of contacts carrying each tag
	plans      = []string{"free", "pro", "team", "enterprise"}
	jobTitles  = []string{"CEO", "CTO", "Account Manager", "Sales Director", "Engineer", "Support Agent", "Office Manager", "Buyer", "Consultant", "Product Manager"}
	phoneTypes = []string{"mobile", "work", "home", "mobile", "work"}
)

// country describes how to make numbers of one country: NSN digits from an
// index in [0, cap), and the ways people write them.
type country struct {
	region string // ISO 3166
	code   string // calling code
	cap    uint64 // size of the number space
	nsn    func(v uint64) string
	// trunk is the national (trunk) prefix written as "(0)" after the
	// calling code by some people; "" when the country has none.
	trunk string
	mul   uint64 // multiplier of the bijection, coprime with cap
	add   uint64
}

// usAreas are assigned US area codes; usExchanges are the central office
// codes NXX (N = 2-9) less the N11 service codes and 555.
var (
	usAreas     = []string{"212", "415", "646", "312", "617", "213", "305", "206", "512", "303", "404", "702"}
	usExchanges = func() []string {
		var out []string
		for x := 200; x <= 999; x++ {
			if x%100 == 11 || x == 555 {
				continue
			}
			out = append(out, strconv.Itoa(x))
		}
		return out
	}()
	brAreas = []string{"11", "21", "31", "41", "51", "61", "71", "81"}
	frPre   = []string{"60", "61", "62", "64", "65", "66", "67", "68"}
	dePre   = []string{"151", "152", "157", "159"}
)

func digits(v uint64, width int) string {
	s := strconv.FormatUint(v, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}

var countries = map[string]*country{
	"US": {region: "US", code: "1", cap: uint64(len(usAreas)*len(usExchanges)) * 10000,
		nsn: func(v uint64) string {
			line := v % 10000
			v /= 10000
			ex := usExchanges[v%uint64(len(usExchanges))]
			v /= uint64(len(usExchanges))
			return usAreas[v] + ex + digits(line, 4)
		}},
	// GB mobiles 7[1-3]xx xxxxxx.
	"GB": {region: "GB", code: "44", trunk: "0", cap: 3 * 100_000_000,
		nsn: func(v uint64) string { return "7" + strconv.FormatUint(1+v/100_000_000, 10) + digits(v%100_000_000, 8) }},
	// DE mobiles 15[1279] xxxxxxxx.
	"DE": {region: "DE", code: "49", trunk: "0", cap: uint64(len(dePre)) * 100_000_000,
		nsn: func(v uint64) string { return dePre[v/100_000_000] + digits(v%100_000_000, 8) }},
	// FR mobiles 6 [0-24-8]x xx xx xx.
	"FR": {region: "FR", code: "33", trunk: "0", cap: uint64(len(frPre)) * 10_000_000,
		nsn: func(v uint64) string { return frPre[v/10_000_000] + digits(v%10_000_000, 7) }},
	// BR mobiles AA 9xxxx-xxxx.
	"BR": {region: "BR", code: "55", trunk: "0", cap: uint64(len(brAreas)) * 100_000_000,
		nsn: func(v uint64) string { return brAreas[v/100_000_000] + "9" + digits(v%100_000_000, 8) }},
	// IN mobiles 9[6-9]xxx xxxxx.
	"IN": {region: "IN", code: "91", trunk: "0", cap: 4 * 100_000_000,
		nsn: func(v uint64) string { return "9" + strconv.FormatUint(6+v/100_000_000, 10) + digits(v%100_000_000, 8) }},
	// JP mobiles 90-[1-9]xxx-xxxx.
	"JP": {region: "JP", code: "81", trunk: "0", cap: 9 * 10_000_000,
		nsn: func(v uint64) string { return "90" + strconv.FormatUint(1+v/10_000_000, 10) + digits(v%10_000_000, 7) }},
	// ES mobiles 6xx xxx xxx.
	"ES": {region: "ES", code: "34", cap: 100_000_000,
		nsn: func(v uint64) string { return "6" + digits(v, 8) }},
}

// countryList is the countries in a fixed order, for random choice.
var countryList = []string{"US", "GB", "DE", "FR", "BR", "IN", "JP", "ES"}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func init() {
	for _, c := range countries {
		c.mul, c.add = 1_000_003, 7_654_321%c.cap
		for gcd(c.mul, c.cap) != 1 {
			c.mul += 2
		}
	}
}

// minCap is the smallest number space: the bound on phone indexes.
func minCap() uint64 {
	m := ^uint64(0)
	for _, c := range countries {
		m = min(m, c.cap)
	}
	return m
}

// number returns the E.164 form of the number with index u in country c.
func (c *country) number(u uint64) string {
	if u >= c.cap {
		panic(fmt.Sprintf("phone index %d beyond the %s number space", u, c.region))
	}
	// u < 2^27 and mul < 2^21: the product fits in 64 bits.
	v := (u*c.mul%c.cap + c.add) % c.cap
	return "+" + c.code + c.nsn(v)
}

// genPhone is one generated phone number: as stored, and its E.164 form.
type genPhone struct {
	Region string // the country of the number
	Number string // as written into the contact
	E164   string
	Type   string
}

// genContact is one generated contact.
type genContact struct {
	Index       int
	Kind        string
	FirstName   string
	LastName    string
	DisplayName string
	Company     string
	JobTitle    string
	Phones      []genPhone
	Emails      []string
	Tags        []string
	Tier        int
	Plan        string
	ExternalID  string
	// Extension makes the contact a corporate one (a user of the phone
	// system) with this extension, listed in the directory.
	Extension string
}

// generator makes contacts of a data set of n contacts.
type generator struct {
	seed uint64
	n    int
}

func newGenerator(seed uint64, n int) *generator { return &generator{seed: seed, n: n} }

// Phone index ranges: [0, 3n) the data set, then unknown numbers, then the
// numbers of contacts the create scenario adds.
const unknownPool = 20000

func (g *generator) unknownBase() uint64 { return 3 * uint64(g.n) }
func (g *generator) createBase() uint64  { return 3*uint64(g.n) + unknownPool }

// maxCreates is how many contacts the create scenario may add.
func (g *generator) maxCreates() int { return int((minCap() - g.createBase()) / 3) }

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func pickCulture(r *rand.Rand) *culture {
	x := r.IntN(cultureTotal)
	for _, c := range cultures {
		if x < c.weight {
			return c
		}
		x -= c.weight
	}
	return cultures[0]
}

// contact returns contact i of the data set.
func (g *generator) contact(i int) *genContact {
	return g.make(i, uint64(i)*3, "")
}

// created returns the j-th contact that the create scenario adds; run
// makes its emails differ from those of earlier runs on the same database.
func (g *generator) created(j int, run string) *genContact {
	return g.make(g.n+j, g.createBase()+uint64(j)*3, run)
}

func (g *generator) make(i int, phoneBase uint64, run string) *genContact {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)))
	cu := pickCulture(r)
	c := &genContact{Index: i, Kind: "person"}
	given, family := pick(r, cu.given), pick(r, cu.family)
	org := r.IntN(100) < 3
	if org {
		c.Kind = "organization"
		c.Company = pick(r, cu.companies)
	} else {
		c.FirstName, c.LastName = given.text, family.text
		if cu.familyFirst {
			c.DisplayName = family.text + given.text
		}
		if r.IntN(100) < 55 {
			c.Company = pick(r, cu.companies)
		}
		if c.Company != "" && r.IntN(100) < 60 {
			c.JobTitle = pick(r, jobTitles)
		}
	}

	// Phones: 1 to 3 (60%, 30%, 10%), the first in the culture's likely
	// country, the others anywhere.
	np := 1
	switch x := r.IntN(100); {
	case x >= 90:
		np = 3
	case x >= 60:
		np = 2
	}
	for k := range np {
		reg := cu.countries[0]
		if k > 0 || r.IntN(100) < 30 {
			if r.IntN(2) == 0 {
				reg = pick(r, cu.countries)
			} else {
				reg = pick(r, countryList)
			}
		}
		e164 := countries[reg].number(phoneBase + uint64(k))
		c.Phones = append(c.Phones, genPhone{Region: reg, E164: e164, Number: writeNumber(r, reg, e164), Type: pick(r, phoneTypes)})
	}

	// Emails: unique by the contact's index, written in it (base 36); the
	// created ones carry "_" that no data-set address has.
	suffix := strconv.FormatUint(uint64(i), 36)
	local := given.latin + "." + family.latin
	if org {
		local = "info"
	}
	sep := "."
	if run != "" {
		sep = "_" + run + "_"
	}
	ne := 1
	if r.IntN(100) < 25 {
		ne = 2
	}
	if r.IntN(100) < 5 {
		ne = 0
	}
	for k := range ne {
		dom := pick(r, cu.domains)
		l := local
		if k == 1 {
			l = string(given.latin[0]) + family.latin
			dom = "work." + dom
		}
		addr := l + sep + suffix + "@" + dom
		if r.IntN(10) == 0 {
			addr = strings.ToUpper(addr[:1]) + addr[1:] // people type capitals
		}
		c.Emails = append(c.Emails, addr)
	}

	for t, w := range tagWeights {
		if r.IntN(100) < w {
			c.Tags = append(c.Tags, tagVocab[t])
		}
	}
	c.Tier = 1 + r.IntN(3)
	c.Plan = pick(r, plans)
	if run == "" && r.IntN(100) < 30 {
		c.ExternalID = "crm-" + suffix
	}
	if run == "" && !org && i%50 == 7 {
		c.Extension = strconv.Itoa(100000 + i) // one in fifty: the company's own users
	}
	return c
}

// writeNumber writes a number the way people store it. The tenants'
// default region is US, so US numbers come in national forms as well as
// international ones, and other countries' numbers always carry their
// calling code (+CC, the US international prefix 011, or +CC (0)).
func writeNumber(r *rand.Rand, region, e164 string) string {
	c := countries[region]
	nsn := e164[1+len(c.code):]
	if region == "US" {
		a, b, l := nsn[:3], nsn[3:6], nsn[6:]
		switch r.IntN(7) {
		case 0:
			return e164
		case 1:
			return "+1 " + a + "-" + b + "-" + l
		case 2:
			return "(" + a + ") " + b + "-" + l
		case 3:
			return a + "." + b + "." + l
		case 4:
			return "1 (" + a + ") " + b + "-" + l // with the trunk prefix
		case 5:
			return "1-" + a + "-" + b + "-" + l
		default:
			return a + " " + b + " " + l
		}
	}
	switch x := r.IntN(5); {
	case x == 0:
		return e164
	case x == 1 && c.trunk != "":
		return "+" + c.code + " (" + c.trunk + ")" + spaced(nsn)
	case x == 2:
		return "011 " + c.code + " " + spaced(nsn) // dialled from the US
	default:
		return "+" + c.code + " " + spaced(nsn)
	}
}

// spaced groups digits in blocks of three, the last of four when one
// digit would be left alone: "7311234567" → "731 123 4567".
func spaced(s string) string {
	var b strings.Builder
	for len(s) > 4 {
		b.WriteString(s[:3])
		b.WriteByte(' ')
		s = s[3:]
	}
	b.WriteString(s)
	return b.String()
}

// national returns a number in the national format of its country, as a
// phone system of that country hands it over ("07311 234567").
func national(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		panic(err)
	}
	return phonenumbers.Format(num, phonenumbers.NATIONAL)
}

// input returns the contact as the bulk path takes it.
func (c *genContact) input() *contactd.ContactInput {
	in := &contactd.ContactInput{Kind: c.Kind, FirstName: c.FirstName, LastName: c.LastName,
		DisplayName: c.DisplayName, Company: c.Company, JobTitle: c.JobTitle, ExternalID: c.ExternalID,
		Tags: c.Tags, Properties: c.properties()}
	for _, p := range c.Phones {
		in.Phones = append(in.Phones, contactd.Phone{Number: p.Number, Type: p.Type})
	}
	if c.Extension != "" {
		in.ContactType = "corporate"
		in.Extensions = []contactd.Extension{{Extension: c.Extension, DisplayInDirectory: true}}
	}
	for k, e := range c.Emails {
		t := "personal"
		if k == 1 {
			t = "work"
		}
		in.Emails = append(in.Emails, contactd.Email{Address: e, Type: t})
	}
	return in
}

func (c *genContact) properties() json.RawMessage {
	return json.RawMessage(`{"plan":"` + c.Plan + `","tier":` + strconv.Itoa(c.Tier) + `}`)
}

// jsonDoc returns the contact as the body of POST /v1/contacts.
func (c *genContact) jsonDoc() []byte {
	type phone struct {
		Number string `json:"number"`
		Type   string `json:"type"`
	}
	type email struct {
		Address string `json:"address"`
		Type    string `json:"type"`
	}
	doc := struct {
		Kind        string          `json:"kind"`
		FirstName   string          `json:"firstName,omitempty"`
		LastName    string          `json:"lastName,omitempty"`
		DisplayName string          `json:"displayName,omitempty"`
		Company     string          `json:"company,omitempty"`
		JobTitle    string          `json:"jobTitle,omitempty"`
		ExternalID  string          `json:"externalId,omitempty"`
		Phones      []phone         `json:"phones"`
		Emails      []email         `json:"emails"`
		Tags        []string        `json:"tags"`
		Properties  json.RawMessage `json:"properties"`
	}{Kind: c.Kind, FirstName: c.FirstName, LastName: c.LastName, DisplayName: c.DisplayName,
		Company: c.Company, JobTitle: c.JobTitle, ExternalID: c.ExternalID, Tags: c.Tags, Properties: c.properties()}
	for _, p := range c.Phones {
		doc.Phones = append(doc.Phones, phone{p.Number, p.Type})
	}
	for _, e := range c.Emails {
		doc.Emails = append(doc.Emails, email{e, "personal"})
	}
	if doc.Tags == nil {
		doc.Tags = []string{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// searchQuery returns a full-text query of one or two tokens drawn from
// the generator's vocabulary: a prefix of a given name (written natively
// or romanized), sometimes with a prefix of a family name, or a prefix of
// a company name.
func searchQuery(r *rand.Rand) string {
	cu := pickCulture(r)
	if r.IntN(100) < 15 {
		w := strings.Fields(pick(r, cu.companies))[0]
		return prefix(r, w)
	}
	g := pick(r, cu.given)
	q := g.text
	if r.IntN(100) < 25 {
		q = g.latin
	}
	q = prefix(r, q)
	if r.IntN(2) == 0 {
		q += " " + prefix(r, pick(r, cu.family).text)
	}
	return q
}

// prefix returns the word or a prefix of it of at least 3 characters.
func prefix(r *rand.Rand, w string) string {
	rs := []rune(w)
	if len(rs) <= 3 {
		return w
	}
	return string(rs[:3+r.IntN(len(rs)-2)])
}
