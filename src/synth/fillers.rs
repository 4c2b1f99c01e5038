//! The words that make two requests about the same matter differ: roads, housing estates,
//! firms, times, durations and amounts. Drawn once per request, so a text that names a
//! road or an amount twice names the same one.
//!
//! The lists avoid words the classification rules react to (公园, 绿地, 超市, 马路…): a
//! filler must never change what a request is about.

const ROADS: &[&str] = &[
    "中山路",
    "中山北路",
    "北京东路",
    "汉中路",
    "龙蟠中路",
    "江东中路",
    "集庆路",
    "应天大街",
    "太平南路",
    "草场门大街",
    "虎踞路",
    "黄埔路",
    "珠江路",
    "长江路",
    "建宁路",
    "水西门大街",
    "中央路",
    "广州路",
    "清凉门大街",
    "光华路",
    "双龙大道",
    "天元中路",
    "弘景大道",
    "浦珠路",
    "宁六路",
    "雨花南路",
    "卡子门大街",
    "红山路",
    "迈皋桥路",
    "莫愁路",
];

const ESTATES: &[&str] = &[
    "锦绣花园",
    "翠竹园",
    "梅花山庄",
    "兰园新村",
    "银河苑",
    "丽景华庭",
    "金桂园",
    "紫金城",
    "恒润家园",
    "滨江新城",
    "幸福里",
    "月光名邸",
    "书香雅苑",
    "碧水湾",
    "凤凰和鸣苑",
    "天润城",
    "秦淮人家",
    "龙江新寓",
    "仁恒嘉园",
    "南湖东苑",
    "莱茵花园",
    "香樟园",
    "康居里",
    "清江花苑",
    "双和园",
];

const FIRMS: &[&str] = &[
    "鑫达建筑劳务公司",
    "恒远装饰工程公司",
    "华宇物流公司",
    "金鼎餐饮管理公司",
    "博远科技有限公司",
    "宏盛电子厂",
    "新纪元服装厂",
    "佳美家政服务公司",
    "远航汽配公司",
    "润通机械厂",
];

const SHOPS: &[&str] = &[
    "惠民便利店",
    "家家乐生鲜店",
    "万福百货店",
    "好运来便利店",
    "乐购生活馆",
    "邻里优选店",
];

const RESTAURANTS: &[&str] = &[
    "老张家常菜馆",
    "味之源快餐店",
    "川香麻辣烫",
    "金陵鸭血粉丝店",
    "湘味小炒",
    "蜀地烤鱼",
    "兰州牛肉拉面",
];

const SALONS: &[&str] = &["丝域美容美发店", "伊美美容会所", "名匠造型店", "悦颜美容店"];

const LATE_HOURS: &[&str] = &[
    "晚上十点半",
    "晚上十一点",
    "夜里十二点",
    "凌晨一点",
    "凌晨两点",
];

const DURATIONS: &[&str] = &[
    "半个多月",
    "一个多月",
    "两个月",
    "三个多月",
    "小半年",
    "快一年",
];

const MONTH_COUNTS: &[&str] = &["两", "三", "四", "五", "六"];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];

const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强",
    "海燕", "晓东", "春梅",
];

/// Prefixes of mainland mobile numbers in use.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "159", "166", "177", "180", "181", "182", "186", "187", "188", "189", "199",
];

fn pick<'a>(rng: &mut fastrand::Rng, list: &[&'a str]) -> &'a str {
    list[rng.usize(..list.len())]
}

/// The filler values of one request.
#[derive(Debug, Clone)]
pub struct Fillers {
    pub place: String,
    pub district: String,
    pub road: &'static str,
    pub road2: &'static str,
    pub estate: &'static str,
    pub building: String,
    pub firm: &'static str,
    pub shop: &'static str,
    pub restaurant: &'static str,
    pub salon: &'static str,
    pub late: &'static str,
    pub duration: &'static str,
    pub months: &'static str,
    pub amount: String,
    pub small_amount: String,
    pub fee: String,
    pub fee_high: String,
    pub count: String,
    pub route: String,
    pub plate: String,
    pub surname: &'static str,
}

impl Fillers {
    pub fn draw(rng: &mut fastrand::Rng, place: String, district: String) -> Fillers {
        let road = pick(rng, ROADS);
        let road2 = loop {
            let other = pick(rng, ROADS);
            if other != road {
                break other;
            }
        };
        let plate_letters = ["A", "B", "C", "D", "E", "F", "H", "K"];
        Fillers {
            place,
            district,
            road,
            road2,
            estate: pick(rng, ESTATES),
            building: format!("{}号楼", rng.u32(1..=40)),
            firm: pick(rng, FIRMS),
            shop: pick(rng, SHOPS),
            restaurant: pick(rng, RESTAURANTS),
            salon: pick(rng, SALONS),
            late: pick(rng, LATE_HOURS),
            duration: pick(rng, DURATIONS),
            months: pick(rng, MONTH_COUNTS),
            amount: (rng.u32(8..=600) * 100).to_string(),
            small_amount: rng.u32(20..=500).to_string(),
            fee: format!("{}.{}", rng.u32(0..=1), rng.u32(1..=9)),
            fee_high: format!("{}.{}", rng.u32(2..=3), rng.u32(0..=9)),
            count: rng.u32(3..=30).to_string(),
            route: format!("{}路", rng.u32(2..=180)),
            plate: format!(
                "苏A·{}{:04}",
                plate_letters[rng.usize(..plate_letters.len())],
                rng.u32(0..10_000)
            ),
            surname: pick(rng, SURNAMES),
        }
    }

    /// The value of `{key}` in a template.
    pub fn get(&self, key: &str) -> Option<&str> {
        Some(match key {
            "place" => &self.place,
            "district" => &self.district,
            "road" => self.road,
            "road2" => self.road2,
            "estate" => self.estate,
            "building" => &self.building,
            "firm" => self.firm,
            "shop" => self.shop,
            "restaurant" => self.restaurant,
            "salon" => self.salon,
            "late" => self.late,
            "duration" => self.duration,
            "months" => self.months,
            "amount" => &self.amount,
            "small_amount" => &self.small_amount,
            "fee" => &self.fee,
            "fee_high" => &self.fee_high,
            "count" => &self.count,
            "route" => &self.route,
            "plate" => &self.plate,
            "surname" => self.surname,
            _ => return None,
        })
    }
}

/// A requester's full name: surname and given name.
pub fn person_name(rng: &mut fastrand::Rng) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN_NAMES))
}

/// A mainland mobile number: a prefix in use and eight digits.
pub fn mobile_number(rng: &mut fastrand::Rng) -> String {
    format!(
        "{}{:08}",
        pick(rng, MOBILE_PREFIXES),
        rng.u32(0..100_000_000)
    )
}

/// Replaces every `{key}` of `template` with its filler.
///
/// # Panics
/// On a key no filler has: templates are constants, and a unit test expands them all.
pub fn expand(template: &str, fillers: &Fillers) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .unwrap_or_else(|| panic!("unclosed `{{` in template `{template}`"));
        let key = &rest[open + 1..close];
        let value = fillers
            .get(key)
            .unwrap_or_else(|| panic!("unknown filler `{key}` in template `{template}`"));
        out.push_str(value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fillers() -> Fillers {
        Fillers::draw(
            &mut fastrand::Rng::with_seed(3),
            "鼓楼区湖南路街道".into(),
            "鼓楼区".into(),
        )
    }

    #[test]
    fn a_template_names_the_same_road_twice() {
        let f = fillers();
        let text = expand("{road}和{road2}路口，{road}一侧，{place}", &f);
        assert_eq!(text.matches(f.road).count(), 2, "{text}");
        assert_ne!(f.road, f.road2);
        assert!(text.ends_with("鼓楼区湖南路街道"));
        assert!(!text.contains('{'));
    }

    #[test]
    #[should_panic(expected = "unknown filler `nope`")]
    fn an_unknown_key_is_a_programming_error() {
        expand("{nope}", &fillers());
    }

    #[test]
    fn mobile_numbers_pass_the_intake_check() {
        let mut rng = fastrand::Rng::with_seed(9);
        for _ in 0..200 {
            let phone = mobile_number(&mut rng);
            assert_eq!(phone.len(), 11, "{phone}");
            crate::domain::validate::phone("requester.phone", &phone).unwrap();
        }
    }
}
