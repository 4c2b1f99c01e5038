//! The fixed matter taxonomy: first-level categories (一级分类) and the topics under them.
//!
//! Categories are a fixed list so that rates, reports and the routing catalogue speak the
//! same language across cities; the seven labels of the public Teddy Cup message-board data
//! are among them. Topics are finer and are what the dispatch catalogue keys on. Rule files
//! (`config/rules.toml`, `config/routing.toml`) may only name ids from this module.

use super::ticket::PolicyDomain;

/// A first-level category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub id: &'static str,
    /// The Chinese label shown to agents and in reports.
    pub name: &'static str,
    /// The policy domain most matters of this category belong to.
    pub domain: PolicyDomain,
}

/// A topic under one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub id: &'static str,
    pub category: &'static str,
    pub name: &'static str,
}

use PolicyDomain::*;

macro_rules! categories {
    ($($id:literal $name:literal $domain:ident;)+) => {
        pub const CATEGORIES: &[Category] = &[$(Category { id: $id, name: $name, domain: $domain }),+];
    };
}

categories! {
    "urban_rural_construction" "城乡建设" SocialAdministration;
    "environmental_protection" "环境保护" EnvironmentalProtection;
    "transport" "交通运输" PublicServices;
    "education_culture_sports" "教育文体" PublicServices;
    "labour_social_security" "劳动和社会保障" PublicServices;
    "commerce_tourism" "商贸旅游" EconomicRegulation;
    "health_family_planning" "卫生计生" PublicServices;
    "market_regulation" "市场监管" MarketSupervision;
    "urban_management" "城市管理" SocialAdministration;
    "public_security" "公共安全" SocialAdministration;
    "agriculture_rural" "农业农村" EconomicRegulation;
    "civil_affairs" "民政" SocialAdministration;
    "finance_tax" "财税金融" EconomicRegulation;
    "natural_resources" "自然资源" EnvironmentalProtection;
    "utilities" "水电气热" PublicServices;
    "government_services" "政务服务" PublicServices;
    "other" "其他" SocialAdministration;
}

macro_rules! topics {
    ($($category:literal: $($id:literal $name:literal),+;)+) => {
        pub const TOPICS: &[Topic] = &[$($(Topic { id: $id, category: $category, name: $name }),+),+];
    };
}

topics! {
    "urban_rural_construction":
        "property_management" "物业管理",
        "housing_security" "住房保障与房屋质量",
        "real_estate" "房地产开发与交易",
        "construction_sites" "建筑工地与工程质量",
        "municipal_facilities" "市政设施",
        "demolition_compensation" "征收拆迁",
        "rural_construction" "农村建设与农房";
    "environmental_protection":
        "air_pollution" "大气污染",
        "water_pollution" "水污染",
        "noise_pollution" "噪声扰民",
        "waste_pollution" "固废与危废",
        "ecology" "生态保护";
    "transport":
        "public_transit" "公交地铁",
        "taxi_ride_hailing" "出租车与网约车",
        "road_transport" "道路客货运输",
        "roads_bridges" "道路桥梁与交通设施",
        "traffic_management" "交通管理与停车",
        "vehicle_services" "驾驶与车辆服务";
    "education_culture_sports":
        "school_enrolment" "入学招生",
        "education_fees" "教育收费",
        "off_campus_training" "校外培训",
        "school_management" "学校管理与师德",
        "culture_sports" "文化体育设施与活动";
    "labour_social_security":
        "wage_arrears" "拖欠工资",
        "labour_relations" "劳动关系",
        "pensions" "养老保险",
        "social_insurance" "社保缴费与社保卡",
        "employment" "就业创业",
        "medical_insurance" "医疗保险";
    "commerce_tourism":
        "tourism" "旅游市场",
        "trade_business" "商贸流通与营商环境",
        "prepaid_cards" "预付卡消费";
    "health_family_planning":
        "medical_services" "医疗服务",
        "public_health" "公共卫生与疾控",
        "maternal_child" "生育与妇幼",
        "drugs" "药品与医疗器械";
    "market_regulation":
        "prices" "价格",
        "product_quality" "产品质量",
        "food_safety" "食品安全",
        "consumer_rights" "消费维权",
        "business_registration" "市场主体登记";
    "urban_management":
        "city_appearance" "市容环境",
        "illegal_construction" "违法建设",
        "street_vending" "占道经营",
        "garbage_collection" "垃圾清运与分类",
        "greening" "园林绿化";
    "public_security":
        "household_registration" "户籍与身份证",
        "public_order" "治安秩序",
        "fraud" "诈骗",
        "entry_exit" "出入境",
        "fire_safety" "消防安全隐患",
        "production_safety" "安全生产";
    "agriculture_rural":
        "agricultural_production" "农业生产",
        "rural_land" "农村土地承包",
        "animal_husbandry" "畜牧与动物防疫";
    "civil_affairs":
        "elderly_care" "养老服务",
        "social_assistance" "低保与社会救助",
        "marriage_registration" "婚姻登记",
        "funeral" "殡葬管理",
        "disability" "残疾人服务",
        "veterans" "退役军人";
    "finance_tax":
        "tax" "税费",
        "invoices" "发票",
        "banking_insurance" "银行保险",
        "illegal_fundraising" "非法集资",
        "housing_fund" "住房公积金",
        "customs" "海关";
    "natural_resources":
        "land_use" "土地利用",
        "property_registration" "不动产登记",
        "planning" "规划管理",
        "forestry_mining" "林业与矿产";
    "utilities":
        "water_service" "供水服务",
        "power_service" "供电服务",
        "gas_service" "燃气服务",
        "heating_service" "供热服务",
        "telecom_service" "通信服务";
    "government_services":
        "service_efficiency" "办事效率与作风",
        "online_services" "网上政务服务",
        "policy_consultation" "政策咨询";
    "other":
        "general" "其他事项";
}

pub fn category(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// The category whose Chinese label is `name` (for labelled data such as the Teddy Cup set).
pub fn category_by_name(name: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.name == name)
}

pub fn topic(id: &str) -> Option<&'static Topic> {
    TOPICS.iter().find(|t| t.id == id)
}

pub fn topics_of(category: &str) -> impl Iterator<Item = &'static Topic> {
    TOPICS.iter().filter(move |t| t.category == category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_topics_name_a_category() {
        let categories: HashSet<_> = CATEGORIES.iter().map(|c| c.id).collect();
        assert_eq!(categories.len(), CATEGORIES.len());
        let topics: HashSet<_> = TOPICS.iter().map(|t| t.id).collect();
        assert_eq!(topics.len(), TOPICS.len());
        for t in TOPICS {
            assert!(
                categories.contains(t.category),
                "{} names {}",
                t.id,
                t.category
            );
        }
        for c in CATEGORIES {
            assert!(topics_of(c.id).next().is_some(), "{} has no topic", c.id);
        }
    }

    #[test]
    fn the_seven_labels_of_the_public_data_are_categories() {
        for label in [
            "城乡建设",
            "环境保护",
            "交通运输",
            "教育文体",
            "劳动和社会保障",
            "商贸旅游",
            "卫生计生",
        ] {
            assert!(category_by_name(label).is_some(), "{label}");
        }
    }
}
